"""Data deliveries (issue 22): upload → validate and build a candidate in a separate process →
see what changes → a second person approves → live; every live version kept and restorable.

Streamlit-free: the データ更新 page, ``python -m pipelines delivery|versions``, the roll-up
inbox, the digest and the draft revision all call it. Modules: ``changes`` (two warehouses
compared in DuckDB), ``store`` (the 0700 store, files by sha256, locks), ``versions`` (every
live version, restore), ``flow`` (propose, worker, approve/reject/withdraw/delete),
``intake`` (uploaded files and zips made safe), ``worker`` (the separate process).
"""
