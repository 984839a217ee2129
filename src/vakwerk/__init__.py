"""Vakwerk: develop the craftsmanship of municipal civil servants."""
