"""Loaded at start-up by the Ralph LRS of the xAPI tests (the fixture puts this directory on
its PYTHONPATH); never by Vakwerk.

Ralph 5.1.0's filesystem LRS backend stores statements in one file and writes each request with
operation type "create", which refuses to write once that file exists: every request after the
first that stores statements fails with 500 ("already exists and overwrite is not allowed").
Appending is what a statement store in one file needs, so the backend's default becomes
"append". Ralph is not changed otherwise.
"""

try:
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend
except ImportError:  # another interpreter that happens to see this directory
    pass
else:
    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
