"""OpenAPI documents of the server's own APIs, shipped as package data and served by rest_api.openapi_views."""
