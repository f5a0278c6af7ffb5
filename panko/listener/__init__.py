"""``panko-listener``: stores the events Ceilometer sends on the bus.

Ceilometer's ``notifier://`` event publisher sends each batch of events
as one notification of priority ``sample`` whose payload is the list of
serialized events (``Event.serialize()`` plus ``message_signature``), on
the topic ``event`` of the exchange ``ceilometer``. The listener takes
these messages in batches, stores their events in one transaction and
acknowledges the messages only once it is committed:

* ``convert``: a message into checked events and the reasons its other
  parts can never be stored;
* ``signature``: Ceilometer's message signature;
* ``endpoint``: one batch: store, dead-letter, acknowledge or requeue;
* ``dispatch``: every message of a batch to the endpoint, whatever it
  claims to be;
* ``deadletter``: where the messages that can never be stored go;
* ``replay``: sending them back once the cause is fixed;
* ``retry``: waiting with backoff, counting attempts;
* ``server``: one listener process; ``workers``: several of them.
"""
