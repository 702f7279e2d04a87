#!/usr/bin/env bash
# A throw-away MIT Kerberos realm on loopback for hvremote's Kerberos tests (kerberos.md §2).
#
# Needs (Debian/Ubuntu, as root; CI installs the same):
#   apt-get update
#   DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
#       krb5-kdc krb5-admin-server krb5-user libkrb5-dev libclang-dev pkg-config python3-gssapi
#
# The Rust tests start and stop their own realms through this script (tests/kerberos_support):
#   cargo test --features kerberos --lib kerberos
#   cargo test --features kerberos --test kerberos_loopback --test kerberos_errors
#
# Usage:
#   scripts/krb-realm.sh up DIR     create realm HVLAB.TEST in DIR, start krb5kdc, kinit the user
#   scripts/krb-realm.sh env DIR    print `export VAR=...` lines for the realm in DIR
#   scripts/krb-realm.sh down DIR   stop the KDC by its PID and remove DIR
#
# Environment for `up`:
#   KRB_REALM_PORT      KDC port on 127.0.0.1 (default 60088); a busy port is refused
#   KRB_REALM_ENCTYPES  "aes" (default) or "rc4" (RC4 keys, RC4 session keys, weak crypto allowed)
#
# [domain_realm] maps .other.test to OTHER.TEST, a realm without any trust: the wrong-realm test.
#
# Nothing is written under /etc: every path comes from KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5CCNAME
# and KRB5_KTNAME, all inside DIR. The KDC is started and stopped by PID only.
set -euo pipefail
export PATH="/usr/sbin:/sbin:$PATH"   # krb5kdc, kdb5_util and kadmin.local live in sbin

REALM=HVLAB.TEST
USER_PRINC=hvadmin
USER_PW='Hv-Lab-Pw-1'
MASTER_PW='Hv-Lab-Master-1'
SPNS=(HTTP/hv01.hvlab.test host/hv01.hvlab.test HTTP/localhost host/localhost WSMAN/hv01.hvlab.test)

die() { echo "krb-realm: $*" >&2; exit 1; }

env_lines() {
    local d=$1
    echo "export KRB5_CONFIG=$d/krb5.conf"
    echo "export KRB5_KDC_PROFILE=$d/kdc.conf"
    echo "export KRB5CCNAME=FILE:$d/ccache"
    echo "export KRB5_KTNAME=FILE:$d/http.keytab"
    echo "export KRB_REALM_DIR=$d"
}

port_busy() {
    # bash's /dev/tcp: a successful connect means somebody already listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_configs() {
    local d=$1 port=$2 enc=$3 client_enc="" kdc_enc
    kdc_enc="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal"
    if [ "$enc" = rc4 ]; then
        kdc_enc="arcfour-hmac:normal aes256-cts-hmac-sha1-96:normal"
        client_enc="    default_tkt_enctypes = arcfour-hmac
    default_tgs_enctypes = arcfour-hmac
    permitted_enctypes = arcfour-hmac
    allow_weak_crypto = true
    allow_rc4 = true"
    fi
    cat >"$d/krb5.conf" <<EOF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    forwardable = true
    default_ccache_name = FILE:$d/ccache
    default_keytab_name = FILE:$d/http.keytab
$client_enc

[realms]
    $REALM = {
        kdc = 127.0.0.1:$port
    }

[domain_realm]
    localhost = $REALM
    .hvlab.test = $REALM
    hvlab.test = $REALM
    .other.test = OTHER.TEST
EOF
    cat >"$d/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port

[realms]
    $REALM = {
        database_name = $d/principal
        key_stash_file = $d/stash
        acl_file = $d/kadm5.acl
        supported_enctypes = $kdc_enc
        default_principal_flags = +preauth
    }

[logging]
    kdc = FILE:$d/kdc.log
EOF
    : >"$d/kadm5.acl"
}

make_principals() {
    local d=$1
    kdb5_util create -s -r "$REALM" -P "$MASTER_PW" >"$d/setup.log" 2>&1
    kadmin.local -q "addprinc -pw $USER_PW $USER_PRINC" >>"$d/setup.log" 2>&1
    for spn in "${SPNS[@]}"; do
        kadmin.local -q "addprinc -randkey $spn" >>"$d/setup.log" 2>&1
        kadmin.local -q "ktadd -k $d/http.keytab $spn" >>"$d/setup.log" 2>&1
    done
}

start_kdc() {
    local d=$1 port=$2 pid i
    krb5kdc -n -r "$REALM" >>"$d/kdc.out" 2>&1 &
    pid=$!
    echo "$pid" >"$d/kdc.pid"
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || die "krb5kdc exited at start (see $d/kdc.out)"
        port_busy "$port" && return 0
        sleep 0.05
    done
    die "krb5kdc did not listen on 127.0.0.1:$port"
}

stop_kdc() {
    local d=$1 pid
    [ -f "$d/kdc.pid" ] || return 0
    pid=$(cat "$d/kdc.pid")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$d/kdc.pid"
}

cmd_up() {
    local d=$1 port=${KRB_REALM_PORT:-60088} enc=${KRB_REALM_ENCTYPES:-aes}
    case "$enc" in aes|rc4) ;; *) die "KRB_REALM_ENCTYPES must be aes or rc4, not '$enc'";; esac
    command -v krb5kdc >/dev/null || die "krb5kdc not found: apt-get install krb5-kdc krb5-admin-server krb5-user"
    port_busy "$port" && die "port 127.0.0.1:$port is already in use; set KRB_REALM_PORT"
    mkdir -p "$d"
    chmod 700 "$d"
    d=$(cd "$d" && pwd)
    [ -e "$d/principal" ] && die "$d already holds a realm"
    trap 'stop_kdc "$d"' ERR
    write_configs "$d" "$port" "$enc"
    eval "$(env_lines "$d")"
    make_principals "$d"
    start_kdc "$d" "$port"
    echo "$USER_PW" | kinit "$USER_PRINC@$REALM" >>"$d/setup.log" 2>&1 ||
        { stop_kdc "$d"; die "kinit failed (see $d/setup.log and $d/kdc.log)"; }
    trap - ERR
    echo "krb-realm: $REALM up on 127.0.0.1:$port ($enc) in $d"
}

cmd_down() {
    local d=$1
    [ -d "$d" ] || return 0
    stop_kdc "$d"
    rm -rf "$d"
}

[ $# -eq 2 ] || die "usage: $0 up|env|down DIR"
case "$1" in
    up) cmd_up "$2" ;;
    env) [ -f "$2/krb5.conf" ] || die "no realm in $2"; env_lines "$(cd "$2" && pwd)" ;;
    down) cmd_down "$2" ;;
    *) die "usage: $0 up|env|down DIR" ;;
esac
