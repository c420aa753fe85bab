"""docker-compose.yml is a valid Compose file (`docker-compose config`, no
Docker engine needed) that runs Redis with persistence and every service
the tree builds, each with the command of its own binary."""
import json
import os
import subprocess
import unittest

from harness import SRC


class Compose(unittest.TestCase):
    def config(self):
        r = subprocess.run(["docker-compose", "-f",
                            os.path.join(SRC, "docker-compose.yml"),
                            "config"], capture_output=True, text=True,
                           timeout=60, cwd=SRC)
        self.assertEqual(r.returncode, 0, r.stderr)
        import yaml
        return yaml.safe_load(r.stdout)

    def test_compose_file_is_valid_and_complete(self):
        doc = self.config()
        services = doc["services"]
        built = {d for d in os.listdir(os.path.join(SRC, "services"))
                 if os.path.isfile(os.path.join(SRC, "services", d,
                                                "CMakeLists.txt"))}
        self.assertEqual(built, set(services) - {"redis"})
        redis = " ".join(services["redis"]["command"])
        self.assertIn("--appendonly yes", redis)
        self.assertIn("--appendfsync always", redis)
        for name in built:
            self.assertEqual(services[name]["command"][0], name)
        # published ports stay on the host's loopback
        for s in services.values():
            for p in s.get("ports", []):
                self.assertEqual(p.get("host_ip") if isinstance(p, dict)
                                 else p.split(":")[0], "127.0.0.1",
                                 json.dumps(p))


if __name__ == "__main__":
    unittest.main()
