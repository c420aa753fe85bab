#!/usr/bin/python3
"""Generate the Redis ACL file of nearpost and its users' passwords.

    gen_acl.py --acl run/redis.acl --users run/redis-users
               [--env-dir run/redis-env] [--prefix np] [--district city ...]
               [--template FILE]

The template (default: users.acl.in beside this script) names one ACL
user per service with its commands and key families; see its comments.
This fills in, for each user, `#<sha256 of its password>` (so the ACL
file holds no password) and the key prefix `<prefix>:{<district>}:` (a
pattern with @P@ is repeated once per district), and drops the comments.

The passwords are kept in the users file, `<user> <password>` per line,
mode 0600: an existing file is read and its passwords kept (so services
restarted later still log in), missing users get a new random one.
With --env-dir, each user also gets <dir>/<user>.env with
NEARPOST_REDIS_USER and NEARPOST_REDIS_PASSWORD (for `make up`, systemd's
EnvironmentFile= and docker-compose's env_file).  Every file is written
with mode 0600 through a temporary file and a rename.

Also importable (the integration tests' harness): generate().
Standard library only.
"""
import argparse
import hashlib
import os
import re
import secrets
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "users.acl.in")


def users_of(lines):
    """The ACL lines (comments dropped, continuations joined)."""
    out, cur = [], ""
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            if cur:
                raise ValueError(f"continued line followed by a blank or a "
                                 f"comment: {cur!r}")
            continue
        if line.endswith("\\"):
            cur += line[:-1].strip() + " "
            continue
        out.append(cur + line)
        cur = ""
    if cur:
        raise ValueError(f"template ends inside a continued line: {cur!r}")
    return out


def prefixes(prefix, districts):
    for d in districts:
        if not re.fullmatch(r"[A-Za-z0-9_.*-]+", d):
            raise ValueError(f"district {d!r}: only A-Z a-z 0-9 _ . - or *")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", prefix):
        raise ValueError(f"prefix {prefix!r}: only A-Z a-z 0-9 _ . -")
    return [f"{prefix}:{{{d}}}:" for d in districts]


def expand(line, keyprefixes, hashes):
    """One user line with @PW@ and @P@ filled in."""
    words = line.split()
    if len(words) < 2 or words[0] != "user":
        raise ValueError(f"not a user line: {line!r}")
    name, out = words[1], []
    for w in words:
        if w == "@PW@":
            out.append("#" + hashes[name])
        elif "@P@" in w:
            out.extend(w.replace("@P@", p) for p in keyprefixes)
        else:
            out.append(w)
    return name, " ".join(out)


def read_users(path):
    """{user: password} of an existing users file ({} when none)."""
    users = {}
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                words = line.split()
                if len(words) != 2:
                    raise ValueError(f"{path}: line {n}: expected "
                                     f"'<user> <password>'")
                users[words[0]] = words[1]
    except FileNotFoundError:
        pass
    return users


def generate(template=TEMPLATE, prefix="np", districts=("city",),
             passwords=None):
    """(ACL file text, {user: password}); passwords given are kept."""
    with open(template) as f:
        lines = users_of(f)
    keyprefixes = prefixes(prefix, districts)
    passwords = dict(passwords or {})
    hashes, acl = {}, []
    for line in lines:
        name = line.split()[1]
        if "@PW@" in line.split():
            pw = passwords.setdefault(name, secrets.token_hex(24))
            hashes[name] = hashlib.sha256(pw.encode()).hexdigest()
        acl.append(expand(line, keyprefixes, hashes)[1])
    users = {n: passwords[n] for n in hashes}
    return "\n".join(acl) + "\n", users


def write_private(path, text):
    """path with text, mode 0600, replaced atomically."""
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--acl", required=True, help="ACL file to write")
    ap.add_argument("--users", required=True,
                    help="users file (<user> <password>) to read and write")
    ap.add_argument("--env-dir", help="also write <dir>/<user>.env")
    ap.add_argument("--prefix", default="np", help="key prefix (np)")
    ap.add_argument("--district", action="append",
                    help="district of the keys (city); repeat for several")
    ap.add_argument("--template", default=TEMPLATE)
    a = ap.parse_args(argv)
    try:
        acl, users = generate(a.template, a.prefix, a.district or ["city"],
                              read_users(a.users))
    except (OSError, ValueError) as e:
        print(f"gen_acl: {e}", file=sys.stderr)
        return 1
    write_private(a.users, "# nearpost Redis users: <user> <password> "
                  "(secret; generated by deploy/redis/gen_acl.py)\n" +
                  "".join(f"{u} {p}\n" for u, p in users.items()))
    if a.env_dir:
        os.makedirs(a.env_dir, mode=0o700, exist_ok=True)
        for u, p in users.items():
            write_private(os.path.join(a.env_dir, u + ".env"),
                          f"NEARPOST_REDIS_USER={u}\n"
                          f"NEARPOST_REDIS_PASSWORD={p}\n")
    write_private(a.acl, acl)
    return 0


if __name__ == "__main__":
    sys.exit(main())
