"""Jobs that run where the logs are: each a script for `spark-submit` that makes one library
call and writes its result."""
