# libmatch.dask (bindings/python/libmatch/dask.py): the Dask benchmark.
#
#   make bench-dask [BENCH_ARGS="--queries 20000 --candidates 40000 --workers 1 2 --json bench/out/dask.json"]
#
# Batch matching on LocalClusters of 1 and 2 worker processes against one
# process, and the projected time of 1M x 1M on N workers (bench/dask_batch.py;
# figures in bench/README.md, "Dask").  Its tests are bindings/python/tests/test_dask.py,
# run by `make test` with the other Python tests.
.PHONY: bench-dask
bench-dask:
	@sh scripts/install-deps.sh dask
	@$(MAKE) --no-print-directory all >/dev/null
	@LIBMATCH_LIBRARY="$(CURDIR)/$(SHLIB)" $(PY) bench/dask_batch.py $(BENCH_ARGS)
