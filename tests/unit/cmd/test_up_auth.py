"""`tessera up --auth keystone`: the clouds.yaml it prints and where it says to log in."""

from __future__ import annotations

import yaml
from oslo_config import cfg

from tessera.cmd.services import clouds_yaml, keystone_url


def test_noauth_clouds_yaml_points_at_tessera():
    cloud = yaml.safe_load(clouds_yaml("http://h:8774"))["clouds"]["tessera"]
    assert cloud["auth_type"] == "admin_token"
    assert cloud["compute_endpoint_override"] == "http://h:8774/v2.1"


def test_keystone_clouds_yaml_uses_password_auth_at_keystone():
    cloud = yaml.safe_load(clouds_yaml("http://h:8774", "http://ks:5001"))["clouds"]["tessera"]
    assert cloud["auth_type"] == "password"
    assert cloud["auth"]["auth_url"] == "http://ks:5001"
    assert not [k for k in cloud if k.endswith("_endpoint_override")]


def test_keystone_url_prefers_www_authenticate_uri(tmp_path):
    conf_file = tmp_path / "t.conf"
    conf_file.write_text("[keystone_authtoken]\nwww_authenticate_uri = http://public:5000\n")
    conf = cfg.ConfigOpts()
    conf.register_opts([cfg.StrOpt("www_authenticate_uri")], group="keystone_authtoken")
    conf([], default_config_files=[str(conf_file)])
    assert keystone_url(conf) == "http://public:5000"
    assert keystone_url(cfg.ConfigOpts()).startswith("<")
