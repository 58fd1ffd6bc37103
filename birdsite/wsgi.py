"""WSGI entry point (no WebSockets: pages fall back to polling)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "birdsite.settings")
application = get_wsgi_application()
