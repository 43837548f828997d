#!/bin/sh
# Create a virtualenv with the pinned PyPI receptorctl for the compat suite.
# Usage: tests/compat/setup-venv.sh <dir>   (e.g. build/receptorctl-venv)
# Prints the path of the receptorctl executable on success.
set -eu
dir=${1:?usage: setup-venv.sh <venv dir>}
if [ ! -x "$dir/bin/receptorctl" ]; then
	python3 -m venv "$dir"
	"$dir/bin/pip" install --quiet --disable-pip-version-check 'receptorctl==1.6.9'
fi
echo "$dir/bin/receptorctl"
