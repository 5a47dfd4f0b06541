"""Identity for the Keystone tests, made as an operator would (openstacksdk as Keystone's admin):
taasd's service user, two projects with their users, and taasd registered as the network
service in the catalog. Prints the projects' ids as JSON.

usage: keystone_setup.py AUTH_URL ADMIN_PASSWORD TAASD_URL
"""
import json
import sys

import openstack

auth_url, admin_password, taasd_url = sys.argv[1:4]
conn = openstack.connect(auth_url=auth_url, username="admin", password=admin_password, project_name="admin",
                         user_domain_name="Default", project_domain_name="Default", identity_api_version="3")
idc = conn.identity
roles = {r.name: r for r in idc.roles()}


def project(name):
    return idc.create_project(name=name, domain_id="default")


def user(name, password, proj, role):
    u = idc.create_user(name=name, password=password, domain_id="default", default_project_id=proj.id)
    idc.assign_project_role_to_user(proj, u, roles[role])
    return u


service_project = project("service")
# keystonemiddleware's usual service user: the service role in the service project.
user("taas", "taas-secret", service_project, "service")
p1, p2 = project("p1"), project("p2")
user("alice", "alice-secret", p1, "member")
user("carol", "carol-secret", p1, "reader")
user("bob", "bob-secret", p2, "member")
admin_project = idc.find_project("admin", domain_id="default")

network = idc.create_service(name="neutron", type="network", description="taasd (Tap-as-a-Service)")
for interface in ("public", "internal", "admin"):
    idc.create_endpoint(service_id=network.id, interface=interface, url=taasd_url, region_id="RegionOne")

print(json.dumps({"p1": p1.id, "p2": p2.id, "admin": admin_project.id}))
