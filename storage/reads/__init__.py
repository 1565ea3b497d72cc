"""Read models: queries that look at many rows of many tables at once for one purpose (the
journal, the digest, the work due now, the undelivered messages), beside the entity
repositories of ``storage/repos``. Like them, the only place that writes SQL."""
