"""Front end: nvwizard's plans handed to other tools (today: an Ansible playbook directory).

Nothing here plans or applies anything: the exported playbook runs nvwizard on each host, and
nvwizard there does the detecting, planning and applying.
"""
