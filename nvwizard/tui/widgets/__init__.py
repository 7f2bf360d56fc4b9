"""The widgets the screens are made of: banner and step bar, footer, toned line views, the live
log and the package toggles. They show what they are given; none knows the wizard's state."""
