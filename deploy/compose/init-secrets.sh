#!/usr/bin/env sh
# Writes random secrets for docker-compose.yml into ./secrets, once: existing files are kept.
# The folder is 0700 (only you reach it on the host); the files are 0644 because Compose bind-mounts them as they
# are, and the containers read them as their own users (tollgate uid 10001, postgres uid 999).
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
chmod 0700 secrets

rand() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
write() {  # NAME VALUE
  if [ -s "secrets/$1" ]; then echo "secrets/$1: kept"; return; fi
  printf '%s' "$2" > "secrets/$1"
  chmod 0644 "secrets/$1"
  echo "secrets/$1: written"
}

write postgres_password "$(rand)"
write database_url "postgresql://tollgate:$(cat secrets/postgres_password)@postgres:5432/tollgate"
write jwt_secret "$(rand)"
write encryption_key "$(rand)"
