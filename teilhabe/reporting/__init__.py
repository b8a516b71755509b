"""What people see and take away, without Streamlit.

Number and date formats (``formatting``), the glossary, escaping of text from data (``text``,
``safe_text``), the plotly charts and maps and their one style, chart images, CSV/Excel exports
and the PDF report (``pdf``).
"""
