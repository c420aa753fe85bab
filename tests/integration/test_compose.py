"""docker-compose.yml is a valid Compose file (`docker-compose config`, no
Docker engine needed) that runs Redis with persistence and ACL users and
every service the tree builds, each with the command of its own binary,
a health check, its dependencies started healthy first, only its own
Redis user, and nothing published beyond the host's loopback."""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN, SRC

UNITS = os.path.join(SRC, "deploy", "systemd")
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
             "PrivateTmp": "yes", "Restart": "on-failure",
             "ProtectHome": "yes", "CapabilityBoundingSet": ""}


class Compose(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = subprocess.run(["docker-compose", "-f",
                            os.path.join(SRC, "docker-compose.yml"),
                            "config"], capture_output=True, text=True,
                           timeout=60, cwd=SRC)
        assert r.returncode == 0, r.stderr
        import yaml
        cls.doc = yaml.safe_load(r.stdout)
        cls.services = cls.doc["services"]
        cls.built = {d for d in os.listdir(os.path.join(SRC, "services"))
                     if os.path.isfile(os.path.join(SRC, "services", d,
                                                    "CMakeLists.txt"))}

    def test_compose_file_is_valid_and_complete(self):
        services = self.services
        self.assertEqual(self.built, set(services) - {"redis"})
        for name in self.built:
            self.assertEqual(services[name]["command"][0], name)
        # published ports stay on the host's loopback
        for s in services.values():
            for p in s.get("ports", []):
                self.assertEqual(p.get("host_ip") if isinstance(p, dict)
                                 else p.split(":")[0], "127.0.0.1",
                                 json.dumps(p))

    def test_redis_is_durable_and_locked(self):
        redis = self.services["redis"]
        cmd = " ".join(redis["command"])
        self.assertIn("--appendonly yes", cmd)
        self.assertIn("--appendfsync always", cmd)
        self.assertIn("--aclfile /run/secrets/redis-acl", cmd)
        self.assertTrue(any(str(v).split(":")[1:2] == ["/data"] or
                            (isinstance(v, dict) and v.get("target") ==
                             "/data") for v in redis["volumes"]),
                        "Redis' data is not on a volume")
        self.assertNotIn("ports", redis)
        nets = self.doc["networks"]
        for net in redis["networks"]:
            self.assertTrue(nets[net].get("internal"), net)

    def test_every_service_has_a_health_check(self):
        for name, s in self.services.items():
            with self.subTest(name):
                hc = s.get("healthcheck")
                self.assertTrue(hc and hc.get("test"), f"{name}: none")
                self.assertFalse(hc.get("disable"), name)
                if name != "redis":
                    self.assertEqual(hc["test"][:3],
                                     ["CMD", "np-healthcheck", name])
        script = os.path.join(SRC, "deploy", "docker", "healthcheck.sh")
        with open(script) as f:
            text = f.read()
        for name in self.built:
            self.assertIn(name, text, f"np-healthcheck knows no {name}")

    def test_dependencies_wait_until_healthy(self):
        for name in self.built:
            with self.subTest(name):
                deps = self.services[name].get("depends_on", {})
                self.assertIn("redis", deps)
                for dep, how in deps.items():
                    self.assertIn(dep, self.services)
                    self.assertEqual(how, {"condition": "service_healthy"},
                                     f"{name} -> {dep}")

    def test_each_service_has_only_its_own_redis_user(self):
        for name in self.built:
            with self.subTest(name):
                secrets = self.services[name].get("secrets", [])
                env = [s for s in secrets if s.get("target") == "redis-env"]
                self.assertEqual([s["source"] for s in env],
                                 [f"redis-env-{name}"])
                self.assertTrue(self.doc["secrets"][f"redis-env-{name}"]
                                ["file"].endswith(f"/{name}.env"))
                s = self.services[name]
                self.assertTrue(s.get("read_only"), name)
                self.assertIn("ALL", s.get("cap_drop", []))


def unit_file(path):
    """{section: {key: [values]}} of a systemd unit (continuations
    joined, comments dropped)."""
    out, section, cur = {}, None, ""
    with open(path) as f:
        for raw in f:
            line = cur + raw.strip()
            cur = ""
            if line.endswith("\\"):
                cur = line[:-1] + " "
                continue
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = out.setdefault(line.strip("[]"), {})
                continue
            k, _, v = line.partition("=")
            section.setdefault(k.strip(), []).append(v.strip())
    return out


class Systemd(unittest.TestCase):
    """deploy/systemd: a hardened unit per service, Redis first, secrets
    from EnvironmentFile=, accepted by `systemd-analyze verify`."""

    def test_a_hardened_unit_per_service(self):
        built = {d for d in os.listdir(os.path.join(SRC, "services"))
                 if os.path.isfile(os.path.join(SRC, "services", d,
                                                "CMakeLists.txt"))}
        for name in built:
            with self.subTest(name):
                u = unit_file(os.path.join(UNITS,
                                           f"nearpost-{name}.service"))
                svc = u["Service"]
                self.assertEqual(svc["User"], ["nearpost"])
                for k, v in HARDENING.items():
                    self.assertEqual(svc.get(k), [v], k)
                self.assertEqual(svc["ReadWritePaths"], ["/run/nearpost"])
                self.assertIn(f"/etc/nearpost/secrets/redis-env/{name}.env",
                              svc["EnvironmentFile"])
                self.assertTrue(svc["ExecStart"][0].startswith(
                    f"/usr/local/bin/{name}"))
                self.assertIn("nearpost-redis.service",
                              u["Unit"]["Requires"][0].split())
                self.assertIn("nearpost-redis.service",
                              u["Unit"]["After"][0].split())
        redis = unit_file(os.path.join(UNITS, "nearpost-redis.service"))
        cmd = redis["Service"]["ExecStart"][0]
        for opt in ("--appendonly yes", "--appendfsync always",
                    "--bind 127.0.0.1", "--aclfile"):
            self.assertIn(opt, cmd)

    def test_systemd_analyze_verify_accepts_them(self):
        tool = shutil.which("systemd-analyze")
        if tool is None:
            self.skipTest("systemd-analyze is not installed")
        tmp = tempfile.mkdtemp(prefix="np-it-systemd-")
        try:
            for path in glob.glob(os.path.join(UNITS, "nearpost*")):
                with open(path) as f:   # the binaries of this build
                    text = f.read()
                for name in os.listdir(os.path.join(SRC, "services")):
                    exe = os.path.join(BIN, name)   # (a partial build:
                    text = text.replace(            # any executable)
                        f"/usr/local/bin/{name}", exe if os.path.exists(
                            exe) else shutil.which("true"))
                with open(os.path.join(tmp, os.path.basename(path)),
                          "w") as f:
                    f.write(text)
            r = subprocess.run([tool, "verify"] + sorted(glob.glob(
                os.path.join(tmp, "*"))), capture_output=True, text=True,
                timeout=60)
            self.assertEqual((r.returncode, r.stderr.strip()), (0, ""),
                             r.stdout)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
