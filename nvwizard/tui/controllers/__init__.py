"""One controller per screen: they read and write the wizard state and call the backend.

Controllers never import Textual; views call them and only show and collect.
"""
