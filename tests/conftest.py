pytest_plugins = ["tests.sandbox.fixtures"]
