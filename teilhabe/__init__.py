"""The domain package: definitions, selection, the case copy and its cube, the figures and their
protection, the demo data, importers (``exchange``), reports (``reporting``) and the command
line (``cli``). No Streamlit; pages, the CLI and the PDF report share these rules."""
