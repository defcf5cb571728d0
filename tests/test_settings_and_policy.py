"""Settings are declared once and documented; the access policy is checked at start."""

from __future__ import annotations

import re
import tomllib

import pytest

from sdmx_server.identity.policy import PolicyError, load_policy
from sdmx_server.settings import PROJECT_ROOT, SETTINGS, load_config


def test_defaults_file_documents_every_setting():
    text = (PROJECT_ROOT / "conf" / "defaults.toml").read_text()
    data = tomllib.loads(text)
    assert set(data) == {s.name for s in SETTINGS}
    for s in SETTINGS:  # a comment line right above each setting explains it
        block = re.search(rf"((?:#.*\n)+){s.name} =", text)
        assert block, f"conf/defaults.toml: {s.name} has no comment"


@pytest.mark.parametrize("name", ["development.toml", "testing.toml", "production.example.toml"])
def test_shipped_config_files_load(name):
    cfg = load_config(PROJECT_ROOT / "conf" / name, environ={})
    assert cfg.database_url


def test_environment_overrides_files():
    cfg = load_config(environ={"SDMX_SERVER_DATABASE_URL": "sqlite:////tmp/x.sqlite", "SDMX_SERVER_WORKERS": "5",
                               "SDMX_SERVER_DEBUG": "yes"})
    assert (cfg.database_url, cfg.workers, cfg.debug) == ("sqlite:////tmp/x.sqlite", 5, True)


def test_bad_setting_values_are_named(tmp_path):
    with pytest.raises(ValueError, match="workers"):
        load_config(environ={"SDMX_SERVER_WORKERS": "many"})
    f = tmp_path / "c.toml"
    f.write_text('datbase_url = "x"\n')
    with pytest.raises(ValueError, match="datbase_url"):
        load_config(f, environ={})


def test_relative_sqlite_paths_are_under_the_project():
    cfg = load_config(overrides={"database_url": "sqlite:///var/x.sqlite"}, environ={})
    assert cfg.resolved_database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'x.sqlite'}"


def test_policy_declares_the_seven_roles():
    policy = load_policy(PROJECT_ROOT / "auth" / "policy.toml")
    assert set(policy.roles) == {"viewer", "data_submitter", "data_verifier", "data_approver", "content_manager",
                                 "country_administrator", "system_administrator"}
    assert "maintain_structures" in policy.roles["system_administrator"].privileges
    assert "maintain_structures" not in policy.roles["country_administrator"].privileges
    assert not policy.roles["system_administrator"].country_bound


def test_unknown_privilege_fails_at_load(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('[privileges]\nview_data = "x"\n[roles.viewer]\nprivileges = ["view_data", "fly"]\n')
    with pytest.raises(PolicyError, match="fly"):
        load_policy(f)
