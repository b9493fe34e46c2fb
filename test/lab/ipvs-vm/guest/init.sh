#!/bin/busybox sh
# /init of the IPVS lab VM: load the IPVS modules, then serve commands on the second serial port.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp
# No modprobe in here: a kernel request_module() must fail fast instead of waiting for a helper.
echo > /proc/sys/kernel/modprobe
failed=
for module in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$module.ko" 2>/dev/console || failed="$failed $module"
done
ip link set lo up
stty -F /dev/ttyS1 raw -echo
# serve.sh announces READY itself: input sent while nobody holds the port open would be lost.
if [ -n "$failed" ]; then
  echo "FAIL insmod failed:$failed" >/tmp/boot-status
else
  echo "READY $(uname -r)" >/tmp/boot-status
fi
# serve.sh must not be PID 1: the daemons a request starts (nbd-server) are re-parented to PID 1,
# and when they die the SIGCHLD would land in the middle of serve.sh's `read`, which then drops
# part of the next request line (seen as a request that never gets an answer). This shell reaps
# them instead; when serve.sh ends, init ends and the kernel stops the VM (panic=-1, -no-reboot).
/bin/sh /serve.sh </dev/ttyS1 >/dev/ttyS1 2>/dev/console &
wait $!
