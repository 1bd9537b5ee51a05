"""The command layer: what each `briefgen` command does at the edge (arguments in, lines printed,
an exit code out). The modules below it raise; only this package and cli.py print problems and
choose exit codes, and no module below imports them.
"""
