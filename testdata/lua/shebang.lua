#!/usr/bin/env dialua
-- A script made executable: the first line is skipped, line numbers stay right.
print("shebang ok", ...)
error("on line 4")
