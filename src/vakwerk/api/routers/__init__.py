"""One router per resource of the REST API; ``vakwerk.api.api`` registers them."""
