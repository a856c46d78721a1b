#!/bin/sh
# container.sh ROOT PROGRAM [ARG...] - run PROGRAM as in a container,
# without a container runtime: meant to be started as
#
#	unshare --pid --mount --fork sh container.sh ROOT PROGRAM ARG...
#
# so that it runs as pid 1 of a new pid namespace, in a new mount
# namespace. There it makes ROOT the root directory with pivot_root (as
# container runtimes do, so /proc/PID/maps seen from the host shows the
# paths inside ROOT), with /usr bind-mounted read-only from the host (for
# libc) and the usual /bin, /lib, /lib64 symlinks, a fresh /proc, and
# then execs PROGRAM, which must be a path inside ROOT.
#
# With PM_CONTAINER_CHROOT=1 it uses chroot(8) instead of pivot_root:
# then /proc/PID/maps seen from the host shows paths under ROOT, as for
# any chrooted process.
#
# ROOT must hold PROGRAM and whatever it needs besides /usr: for a copied
# interpreter tree, ROOT/opt/NAME/{bin,lib}, with LD_LIBRARY_PATH set by
# the caller when its libpython is found by an absolute rpath.
set -eu
root=$1
shift
mount --make-rprivate /
mount --bind "$root" "$root"
mkdir -p "$root/usr" "$root/proc" "$root/tmp" "$root/.old"
mount --bind /usr "$root/usr"
mount -o remount,bind,ro "$root/usr"
for l in bin lib lib64 sbin; do
	[ -e "$root/$l" ] || [ -L "$root/$l" ] || ln -s "usr/$l" "$root/$l"
done
mount -t proc proc "$root/proc"
if [ "${PM_CONTAINER_CHROOT:-0}" = 1 ]; then
	unset PM_CONTAINER_CHROOT
	exec chroot "$root" "$@"
fi
cd "$root"
pivot_root . .old
umount -l /.old
cd /
exec "$@"
