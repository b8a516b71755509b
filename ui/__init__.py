"""The Streamlit layer below the pages: widgets, filters in the sidebar and the URL, login,
cached data access and the import forms. Pages lay out; this package wires them to the domain."""
