"""End-to-end tests: the integration in a real Home Assistant and a real browser.

They run on the host in their own small virtual environment (see
requirements_e2e.txt and scripts/e2e) and start the Pushover simulator and
Home Assistant as processes inside the project's toolchain.
"""
