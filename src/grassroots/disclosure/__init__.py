"""Disclosure: the public portal and open data (OCDS 1.1.5 export and import)."""
