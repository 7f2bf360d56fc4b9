"""The wizard's screens, one module each; each is built with its controller (app.py builds
Detect's, after_detect.py the others') and asks to move on by posting messages.GoTo."""
