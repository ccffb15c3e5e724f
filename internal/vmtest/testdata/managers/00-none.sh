# Every manager installed, none in use (Debian's state after apt install
# with the services off): the exporter requires nothing from them.
mbegin none
mload none true
mend none
