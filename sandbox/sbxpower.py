"""Instance-initiated power events for sandboxd: what the `shutdown` stub on a test host asks for
(sys/power/request), honoured as EC2 would (stop, or terminate when the instance's
InstanceInitiatedShutdownBehavior is terminate, or reboot), and the two EC2 actions around that
attribute, ModifyInstanceAttribute and DescribeInstanceAttribute."""
import threading
import time

from sbxmodel import ApiError

ACTIONS = ["ModifyInstanceAttribute", "DescribeInstanceAttribute"]
POLL_S = 0.2


def modify_instance_attribute(cloud, R, inp):
    i = cloud.find_instances(R, [inp["InstanceId"]])[0]
    behavior = (inp.get("InstanceInitiatedShutdownBehavior") or {}).get("Value")
    if inp.get("Attribute") == "instanceInitiatedShutdownBehavior":
        behavior = inp.get("Value")
    protect = (inp.get("DisableApiTermination") or {}).get("Value")
    if behavior is None and protect is None:
        raise ApiError("UnsupportedOperation",
                       "The sandbox cloud only modifies instanceInitiatedShutdownBehavior and disableApiTermination.")
    if behavior is not None:
        if behavior not in ("stop", "terminate"):
            raise ApiError("InvalidParameterValue",
                           "Value (%s) for parameter InstanceInitiatedShutdownBehavior is invalid." % behavior)
        i.shutdown_behavior = behavior
    if protect is not None:
        i.disable_api_termination = bool(protect)
    return None


def describe_instance_attribute(cloud, R, inp):
    i = cloud.find_instances(R, [inp["InstanceId"]])[0]
    attribute = inp["Attribute"]
    if attribute == "instanceInitiatedShutdownBehavior":
        return {"InstanceId": i.id, "InstanceInitiatedShutdownBehavior": {"Value": i.shutdown_behavior}}
    if attribute == "disableApiTermination":
        return {"InstanceId": i.id, "DisableApiTermination": {"Value": bool(i.disable_api_termination)}}
    raise ApiError("UnsupportedOperation", "The sandbox cloud does not describe the attribute %s." % attribute)


def _final_state(i):
    """What EC2 does on an OS-initiated power-off."""
    if i.shutdown_behavior == "terminate":
        return "terminated"
    one_time_spot = i.lifecycle == "spot" and not (
        i.spot_opts.get("SpotInstanceType") == "persistent"
        and i.spot_opts.get("InstanceInterruptionBehavior") in ("stop", "hibernate"))
    return "terminated" if one_time_spot else "stopped"


def _honour(cloud, R, i, request, log):
    with cloud.lock:
        if i.state != "running":
            return
        if request == "reboot":
            log("instance %s: reboot requested from inside" % i.id)
            cloud.reboot(R, i)
            return
        final = _final_state(i)
        log("instance %s: shutdown from inside -> %s" % (i.id, final))
        cloud.begin_stop(R, i, final)
        i.state_reason = ("Client.InstanceInitiatedShutdown",
                          "Client.InstanceInitiatedShutdown: Instance initiated shutdown")
        i.transition_reason = "Instance initiated shutdown (%s GMT)" % time.strftime(
            "%Y-%m-%d %H:%M:%S", time.gmtime())


def _sweep(cloud, log):
    with cloud.lock:
        running = [(R, i) for R in cloud.regions.values() for i in R.instances.values()
                   if i.state == "running" and getattr(i, "host", None) is not None]
    for R, i in running:
        request = i.host.take_power_request()
        if request:
            _honour(cloud, R, i, request, log)


def start(cloud, stop_event, log):
    """Polls every running instance's power request until STOP_EVENT is set."""
    def loop():
        while not stop_event.wait(POLL_S):
            try:
                _sweep(cloud, log)
            except Exception as e:  # keep polling: one bad instance must not end it
                log("power request sweep failed: %s" % e)
    t = threading.Thread(target=loop, daemon=True, name="power-requests")
    t.start()
    return t
