"""The wizard: a Textual app moving through the screens Detect, Purge, Select, Stack, Install,
Reboot (or load it now) and Verify (model, controller and view per screen, as Ubuntu's
installer does it).

- state.py: the model, what the wizard knows and what the user decided (no Textual).
- controllers/: one per screen; they read and write the state and ask the backend (no Textual).
- screens/: one view per screen, built with its controller (screens/base.py: what they share);
  widgets/: the pieces they are made of; styles/wizard.tcss: how it all looks.
- app.py: opens each screen with its controller, routes the screens' requests (messages.py:
  screens post `GoTo`, never import the app), owns the global keys.
- flow.py: which screen follows which; types.py: the backend and apply protocols;
  backend.py: the real layers behind them; apply_runs.py: applying in-process or detached.
- tour.py: a keys-only walk through every screen (snapshots, screenshots).

To add a screen: a controller in controllers/, a screen in screens/ taking it in its
constructor, its step in flow.py, and a line in screens/after_detect.py that builds the two.
"""
