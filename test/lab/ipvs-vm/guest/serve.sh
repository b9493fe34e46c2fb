#!/bin/sh
# Command server of the IPVS lab VM, one request per line on the serial port:
#   <id> .<base64 shell script> .<base64 stdin>   →   RES <id> <rc> .<base64 stdout> .<base64 stderr>
# The host quotes every argument of the script; requests run one at a time. Every fork costs
# milliseconds under TCG, so empty fields skip their base64 run.
cat /tmp/boot-status
while IFS=' ' read -r id script input; do
  printf '%s' "${script#.}" >/tmp/request.b64
  base64 -d /tmp/request.b64 >/tmp/request.sh
  if [ "$input" = . ]; then
    : >/tmp/request.in
  else
    printf '%s' "${input#.}" >/tmp/request.b64
    base64 -d /tmp/request.b64 >/tmp/request.in
  fi
  (. /tmp/request.sh) </tmp/request.in >/tmp/request.out 2>/tmp/request.err
  rc=$?
  out=
  err=
  [ -s /tmp/request.out ] && out=$(base64 -w 0 /tmp/request.out)
  [ -s /tmp/request.err ] && err=$(base64 -w 0 /tmp/request.err)
  echo "RES $id $rc .$out .$err"
done
