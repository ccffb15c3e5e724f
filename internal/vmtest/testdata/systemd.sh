# The shipped units, installed as a package would install them, under a real
# systemd (PID 1) on a Debian 12 system with Debian's node_exporter.
o=/vmtest/out
fetch() { busybox wget -q -O "$2" "$1" 2> "$2.err"; echo $? > "$2.exit"; }
# The host loads conntrack at boot (the embedded default requires what a
# boot list names; it names no module of its own).
echo nf_conntrack > /etc/modules-load.d/conntrack.conf
modprobe nf_conntrack
systemctl daemon-reload

# The service.
systemctl enable --now kmod_exporter.service > $o/service.enable 2>&1
sleep 3
fetch http://127.0.0.1:10473/metrics $o/service.prom
pid=$(systemctl show -p MainPID --value kmod_exporter.service)
grep -E '^(Uid|CapEff):' /proc/$pid/status > $o/service.status
journalctl _PID=$pid -o cat --no-pager > $o/service.journal 2>&1
busybox wget -q -O $o/reload.out --post-data= http://127.0.0.1:10473/-/reload > $o/reload.err 2>&1; echo $? > $o/reload.exit
systemctl reload kmod_exporter.service; sleep 1
fetch http://127.0.0.1:10473/metrics $o/reloaded.prom

# A drop-in that hides the module tree, as the old units did: the negative
# control that shows this test sees the bug.
mkdir -p /etc/systemd/system/kmod_exporter.service.d
printf '[Service]\nProtectKernelModules=yes\n' > /etc/systemd/system/kmod_exporter.service.d/hide.conf
systemctl daemon-reload; systemctl restart kmod_exporter.service; sleep 3
fetch http://127.0.0.1:10473/metrics $o/hidden.prom
rm -r /etc/systemd/system/kmod_exporter.service.d; systemctl daemon-reload

# Socket activation: the first scrape starts the service.
systemctl disable --now kmod_exporter.service > /dev/null 2>&1
systemctl enable --now kmod_exporter.socket > $o/socket.enable 2>&1
systemctl is-active kmod_exporter.service > $o/socket.before
fetch http://127.0.0.1:10473/metrics $o/socket.prom
sleep 1
systemctl is-active kmod_exporter.service > $o/socket.after
pid=$(systemctl show -p MainPID --value kmod_exporter.service)
journalctl _PID=$pid -o cat --no-pager > $o/socket.journal 2>&1

# Textfile mode into Debian's node_exporter directory as shipped.
stat -c '%U:%G %a' /var/lib/prometheus/node-exporter > $o/textfile.dir
systemctl enable --now kmod_exporter-textfile.timer > $o/textfile.enable 2>&1
systemctl is-active kmod_exporter-textfile.timer > $o/timer.active
systemctl start kmod_exporter-textfile.service
systemctl show -p Result --value kmod_exporter-textfile.service > $o/textfile.result
journalctl -u kmod_exporter-textfile.service --no-pager > $o/textfile.journal 2>&1
stat -c '%U:%G %a' /var/lib/prometheus/node-exporter/kmod.prom > $o/textfile.file
ls -a /var/lib/prometheus/node-exporter > $o/textfile.ls
systemctl is-active prometheus-node-exporter.service > $o/node.active
fetch http://127.0.0.1:9100/metrics $o/node.prom
