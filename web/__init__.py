"""The mobile web app's files (HTML, ES modules, CSS, icons, manifest, service worker), served at /app by
sync/server/webapp.py. Assets only: nothing here is imported as code."""
