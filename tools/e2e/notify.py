"""Send Nova-style notifications, as nova-compute does (e2e check).

Runs in Ceilometer's virtualenv: it needs only oslo.messaging.
Usage: notify.py TRANSPORT_URL EXCHANGE TOPIC COUNT RUN_ID
"""

import sys

from oslo_config import cfg
import oslo_messaging
from oslo_messaging import opts as messaging_opts


def main(url, exchange, topic, count, run_id):
    conf = cfg.ConfigOpts()
    conf([], project="e2e", default_config_files=[])
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    conf.set_override("control_exchange", exchange)
    transport = oslo_messaging.get_notification_transport(conf, url)
    notifier = oslo_messaging.Notifier(
        transport,
        driver="messagingv2",
        publisher_id="compute.e2e-host-%s" % run_id,
        topics=[topic],
    )
    for index in range(int(count)):
        context = {
            "project_id": "project-%s" % run_id,
            "user_id": "user-%s" % run_id,
            "request_id": "req-%s-%d" % (run_id, index),
        }
        payload = {
            "tenant_id": "project-%s" % run_id,
            "user_id": "user-%s" % run_id,
            "instance_id": "instance-%s-%d" % (run_id, index),
            "display_name": "vm-\u00e9-%d" % index,
            "memory_mb": 512,
            "vcpus": 1 + index,
            "disk_gb": 1,
            "state": "active",
            "availability_zone": "nova",
            "launched_at": "2024-05-17T12:00:%02d.000000" % index,
        }
        notifier.info(context, "compute.instance.create.end", payload)
    transport.cleanup()


if __name__ == "__main__":
    main(*sys.argv[1:])
