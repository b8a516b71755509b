"""Exchange of data with the outside world.

``tabular``: the importer of CSV, Excel and Parquet files into every table; ``hsds``: Open
Referral HSDS packages of the provider directory (import and export); ``boundaries``: VG250
municipality boundaries; ``safe_paths``: the checks every path from a user passes first.
"""
