#!/bin/sh
# Command server of the IPVS lab VM, one request per line on the serial port:
#   <id> .<base64 shell script> .<base64 stdin>   →   RES <id> <rc> .<base64 stdout> .<base64 stderr>
# The host quotes every argument of the script; requests run one at a time.
cat /tmp/boot-status
while IFS= read -r line; do
  id=${line%% *}
  rest=${line#* }
  script=${rest%% *}
  input=${rest#* }
  echo "${script#.}" | base64 -d >/tmp/request.sh
  echo "${input#.}" | base64 -d >/tmp/request.in
  (. /tmp/request.sh) </tmp/request.in >/tmp/request.out 2>/tmp/request.err
  rc=$?
  echo "RES $id $rc .$(base64 -w 0 /tmp/request.out) .$(base64 -w 0 /tmp/request.err)"
done
