#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Foundation
import LinuxIO
import Testing

private let portsAndAClient = """
switch:
  socket-directory: SOCKDIR
  control-socket: SOCKDIR/control.sock
ports:
  - { name: vm1, type: vhost-user, socket: vm1.sock, vlan: { access: 10 } }
  - { name: vm2, type: vhost-user, socket: vm2.sock, vlan: { access: 10 } }
  - { name: peer, type: vhost-user, socket: SOCKDIR/peer.sock, mode: client, vlan: { access: 10 } }
"""

/// Type=notify (docs/deploy.md, "Readiness"): the real daemon process against a NOTIFY_SOCKET
/// the test binds, as systemd would.
@Suite(.serialized) struct SystemdNotifyTests {
    @Test func readyIsSentOnlyOnceEverySocketListensAndTheControlSocketIsUp() throws {
        let notify = try NotifyListener()
        try notify.fill()     // the daemon's first notification blocks until we read
        let d = try DaemonProcess(yaml: portsAndAClient, environment: notify.environment, waitUntilServing: false)
        try NotifyListener.waitUntilBlockedSending(pid: d.process.processIdentifier)
        // Held inside its first sd_notify: what exists now existed when it said READY.
        let dir = d.directory.path
        #expect(isSocket(dir + "/vm1.sock") && isSocket(dir + "/vm2.sock") && isSocket(d.controlSocket))
        #expect(throws: Never.self) { _ = try UnixSocket.connect(to: dir + "/vm2.sock").get() }
        let ready = notifyFields(notify.receive() ?? "")   // skips the fillers
        #expect(notify.receive(timeout: 0.2) == nil, "one message at start-up")
        #expect(ready["READY"] == "1")
        #expect(ready["STATUS"] == "3 ports configured, control \(d.controlSocket)")
        // The client-mode port was being connected when READY went out (nobody listens there yet).
        guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("not a ports reply") }
        #expect(ports.map(\.state) == ["listening", "listening", "connecting"])
        #expect(notify.drain().isEmpty, "READY=1 once, not per port or per request")
        #expect(try d.stop().status == 0)
    }

    @Test func reloadIsBracketedByReloadingAndReadyAndStopSaysStopping() throws {
        let notify = try NotifyListener()
        let d = try DaemonProcess(yaml: portsAndAClient, environment: notify.environment)
        #expect(notifyFields(notify.receive() ?? "")["READY"] == "1")
        let vm3 = d.directory.path + "/vm3.sock"
        try d.write(yaml: portsAndAClient + "\n  - { name: vm3, type: vhost-user, socket: vm3.sock, vlan: { access: 20 } }\n")

        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        try notify.fill()
        d.signal(SIGHUP)
        try NotifyListener.waitUntilBlockedSending(pid: d.process.processIdentifier)
        // Held inside RELOADING=1: the new port is not there yet (it is announced before applying).
        #expect(!isSocket(vm3))
        let reloading = notifyFields(notify.receive() ?? "")
        #expect(reloading["RELOADING"] == "1")
        let usec = UInt64(reloading["MONOTONIC_USEC"] ?? "") ?? 0
        let beforeUsec = UInt64(before.tv_sec) * 1_000_000 + UInt64(before.tv_nsec) / 1_000
        #expect(usec >= beforeUsec && usec < beforeUsec + 10_000_000, "MONOTONIC_USEC is CLOCK_MONOTONIC in µs")
        let ready = notifyFields(notify.receive() ?? "")
        #expect(ready["READY"] == "1")
        #expect(ready["STATUS"]?.hasPrefix("4 ports configured") == true)
        #expect(isSocket(vm3), "READY=1 after the reload: the added port listens")

        // yardctl reload takes the same path; a refused reload still ends in READY=1, or systemd
        // would hold the unit in `reloading` until its timeout.
        try "ports: [ {name: broken".write(toFile: d.configPath, atomically: true, encoding: .utf8)
        guard case .failure = try d.request(.reload) else { throw DaemonTestError("a broken file must be refused") }
        #expect(notifyFields(notify.receive() ?? "")["RELOADING"] == "1")
        let afterRefusal = notifyFields(notify.receive() ?? "")
        #expect(afterRefusal["READY"] == "1" && afterRefusal["STATUS"]?.hasPrefix("4 ports configured") == true)

        d.signal(SIGTERM)
        let stopping = notifyFields(notify.receive() ?? "")
        #expect(stopping["STOPPING"] == "1")
        #expect(try d.stop().status == 0)
        #expect(notify.drain().isEmpty)
    }

    @Test func anAbstractNotifySocketGetsReady() throws {
        let notify = try NotifyListener(abstract: true)
        #expect(notify.name.hasPrefix("@"))
        let d = try DaemonProcess(yaml: portsAndAClient, environment: notify.environment)
        #expect(notifyFields(notify.receive() ?? "")["READY"] == "1")
        #expect(try d.stop().status == 0)
        #expect(notifyFields(notify.receive() ?? "")["STOPPING"] == "1")
    }

    @Test func withoutOrWithADeadNotifySocketTheDaemonRunsAndSendsNothing() throws {
        let notify = try NotifyListener()
        var dead = NotifyListener.environmentWithoutNotifySocket
        dead["NOTIFY_SOCKET"] = notify.name + ".nobody"
        for environment in [NotifyListener.environmentWithoutNotifySocket, dead] {
            let d = try DaemonProcess(yaml: portsAndAClient, environment: environment)
            guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("not a ports reply") }
            #expect(ports.count == 3)
            guard case .done = try d.request(.reload) else { throw DaemonTestError("reload failed") }
            #expect(try d.stop().status == 0)
        }
        #expect(notify.receive(timeout: 0.2) == nil, "nobody named our socket")
        // Positive control: the same listener, named, hears the daemon.
        let d = try DaemonProcess(yaml: portsAndAClient, environment: notify.environment)
        #expect(notifyFields(notify.receive() ?? "")["READY"] == "1")
        try d.stop()
    }
}
