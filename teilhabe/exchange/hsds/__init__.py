"""The provider directory as an Open Referral HSDS 3.0 tabular data package.

``export_hsds`` (``export``) writes one CSV file per HSDS object and a Frictionless
``datapackage.json``; ``import_hsds`` (``importing``) reads such a package back (``package``),
checks all of it before it writes anything (``checking``, ``services``, ``links``,
``category_map``), and then upserts the directory in one transaction. Only the directory
travels: providers, their services, the service categories with the barriers they address, and
the municipalities each service is open to. Case data (clients, referrals, integrations, counts
about people) never enter a package. The layout of a package and the stable HSDS ids are in
``schema``.
"""
