"""The REST API (django-ninja): each app's thin `api.py` router, mounted here, and the OpenAPI document."""
