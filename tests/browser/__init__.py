"""Helpers of tests/test_browser.py: a JupyterLab server, Playwright steps, widget hooks."""
