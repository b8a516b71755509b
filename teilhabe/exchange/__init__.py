"""Exchange of data with the outside world.

Shared by every importer: ``core`` (a problem in a file, the import report, the record in
``import_log``; the data version itself is written by ``data_access.store.new_data_version``) and
``basics`` (German number and date text, chunks of lookups).

Tables from files: ``reading`` reads CSV, Excel (``excel``) and Parquet within the ``Limits``
(``source``); ``specs`` and ``tables`` define the importable tables, ``rules`` the checks a table
declares on its spec; ``parsing`` parses cell values, ``checking`` checks a file, ``tabular``
plans and writes the import, ``templates`` gives the column guide and empty templates.

``hsds``: Open Referral HSDS packages of the provider directory (import and export);
``boundaries``: VG250 municipality boundaries; ``safe_paths``: the checks every path from a user
passes first.
"""
