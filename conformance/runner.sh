#!/bin/sh
# The LTP runner: /init of the conformance image (busybox sh), the same on asterpy and on Linux.
# Written by conformance/ltp.py; it runs the cases of /opt/ltp/cases.txt from index $1 up to
# (not including) $2, each under `timeout`, and frames each case's output on the console:
#   @@LTP-BEGIN <index> <name>
#   ...the case's stdout and stderr...
#   @@LTP-END <index> <name> <exit status> <seconds>
# then prints @@LTP-DONE and powers off.  @@LTP-NOTE lines say what the runner did to the system.
export PATH=/opt/ltp/testcases/bin:/bin:/sbin:/usr/bin:/usr/sbin
export LTPROOT=/opt/ltp TMPDIR=/tmp HOME=/root LTP_TIMEOUT_MUL=@TIMEOUT_MUL@ LTP_COLORIZE_OUTPUT=0
case_timeout=@CASE_TIMEOUT@
start=${1:-0}
stop=${2:-1000000}

# The usual pseudo filesystems (a kernel without one says so in a note).
mount -t proc proc /proc 2>/dev/null || echo "@@LTP-NOTE no procfs: mount -t proc failed"
mount -t sysfs sysfs /sys 2>/dev/null || echo "@@LTP-NOTE no sysfs: mount -t sysfs failed"
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null || echo "@@LTP-NOTE lo not brought up"
# Loop devices for LTP's device cases: Debian's Linux has the driver as a module (the image carries
# it when the run has it); a kernel that cannot load it just has none.
if [ -f /lib/modules/loop.ko ]; then
    if insmod /lib/modules/loop.ko 2>/dev/null; then
        echo "@@LTP-NOTE loop.ko loaded"
    else
        echo "@@LTP-NOTE loop.ko not loaded (insmod failed)"
    fi
fi

i=0
while read -r name command; do
    if [ "$i" -ge "$start" ] && [ "$i" -lt "$stop" ]; then
        rm -rf /tmp/ltp-case
        mkdir -p /tmp/ltp-case
        cd /tmp/ltp-case
        echo "@@LTP-BEGIN $i $name"
        t0=$(date +%s)
        # $command is split into words on purpose (the runtest line's arguments).
        timeout "$case_timeout" $command </dev/null 2>&1
        rc=$?
        t1=$(date +%s)
        cd /
        # Whatever the case left running (children that outlived it) goes before the next one.
        kill -9 -1 2>/dev/null
        echo
        echo "@@LTP-END $i $name $rc $((t1 - t0))"
    fi
    i=$((i + 1))
done < /opt/ltp/cases.txt
echo "@@LTP-DONE"
poweroff -f 2>/dev/null
exit 0
