"""The console: the web app for people, shared by the box and the monitoring centre."""
