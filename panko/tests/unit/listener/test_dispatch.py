from panko.listener import dispatch
from panko.listener import endpoint


class Incoming:
    def __init__(self, message, ctxt=None):
        self.message = message
        self.ctxt = ctxt or {}


class Recorder:
    def __init__(self, result):
        self.result = result
        self.batches = []

    def sample(self, messages):
        self.batches.append(messages)
        return self.result


def test_every_message_reaches_the_endpoint_whatever_its_priority():
    recorder = Recorder(endpoint.HANDLED)
    dispatcher = dispatch.EndpointDispatcher(recorder)
    incoming = [
        Incoming(
            {
                "priority": "SAMPLE",
                "payload": [1],
                "message_id": "a",
                "publisher_id": "p",
                "event_type": "event",
                "timestamp": "t",
            },
            {"request_id": "r"},
        ),
        Incoming({"priority": 5, "payload": "x"}),
        Incoming({"priority": None, "payload": []}),
        Incoming({"hello": "world"}),
    ]
    assert dispatcher.dispatch(incoming) == set()
    [batch] = recorder.batches
    assert batch[0] == {
        "ctxt": {"request_id": "r"},
        "publisher_id": "p",
        "event_type": "event",
        "payload": [1],
        "metadata": {"message_id": "a", "timestamp": "t"},
    }
    assert [m["payload"] for m in batch[1:]] == ["x", [], {"hello": "world"}]
    assert list(dispatcher.supported_priorities) == ["sample"]


def test_a_requeued_batch_is_requeued_whole():
    dispatcher = dispatch.EndpointDispatcher(Recorder(endpoint.REQUEUE))
    incoming = [Incoming({"payload": []}), Incoming({"payload": []})]
    assert dispatcher.dispatch(incoming) == set(incoming)
