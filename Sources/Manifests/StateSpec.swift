/// Where an environment keeps its deploy state (lock, journals, audit log, versions): `state:` in
/// the environment file, or the default for its kind.
public enum StateSpec: Sendable, Equatable {
    /// A directory of this machine: only this machine sees it. nil: `.deployer/<environment>` beside the
    /// environment file (or `--state-dir`, `$DEPLOYER_STATE_DIR`).
    case local(directory: String?)
    /// A directory on a host of the environment, reached over SSH: every machine that can reach the
    /// host sees the same state.
    case ssh(SSHStateSpec)
    /// Blobs in an Azure Storage account's container (the way Terraform's azurerm backend keeps state):
    /// every machine with the environment's Azure credentials sees the same state.
    case azureBlob(AzureBlobStateSpec)
    /// Keys under a prefix in an etcd cluster, through its v3 JSON gateway: every machine that reaches
    /// the cluster sees the same state, and a dead holder's heartbeat goes with its lease.
    case etcd(EtcdStateSpec)
}

/// An etcd cluster's members and the folder of keys of one environment.
public struct EtcdStateSpec: Sendable, Equatable {
    /// `http://host:port` or `https://host:port` of each member, tried in turn.
    public var endpoints: [String]
    /// The environment's folder of keys (`deployer/<environment>` by default).
    public var prefix: String
    /// etcd authentication: the user, and the environment variable holding its password.
    public var user: String?
    public var passwordVariable: String?
    /// TLS (https endpoints): the CA file the members' certificates chain to (nil: the system's), and
    /// the client certificate and key shown to a cluster that asks for one; paths resolved next to the
    /// environment file.
    public var ca: String?
    public var certificate: String?
    public var key: String?

    public init(
        endpoints: [String], prefix: String, user: String?, passwordVariable: String?, ca: String? = nil, certificate: String? = nil,
        key: String? = nil
    ) {
        self.endpoints = endpoints
        self.prefix = prefix
        self.user = user
        self.passwordVariable = passwordVariable
        self.ca = ca
        self.certificate = certificate
        self.key = key
    }

    /// Whether the members are reached over TLS.
    public var isTLS: Bool { endpoints.first?.hasPrefix("https://") ?? false }
}

/// A state container in an Azure Storage account, found through Resource Manager.
public struct AzureBlobStateSpec: Sendable, Equatable {
    /// The storage account (3–24 lowercase letters and digits).
    public var account: String
    /// Its resource group, and subscription (nil: the scale set's, or `AZURE_SUBSCRIPTION_ID`).
    public var resourceGroup: String
    public var subscription: String?
    /// The container holding every environment's state.
    public var container: String
    /// The folder of this environment's blobs in the container (the environment's name by default).
    public var prefix: String
    /// An environment variable holding the account key (Shared Key); nil: a bearer token for
    /// Azure Storage from the credentials deployer uses for Resource Manager.
    public var keyVariable: String?

    public static let defaultContainer = "deployer-state"

    public init(
        account: String, resourceGroup: String, subscription: String?, container: String, prefix: String, keyVariable: String?
    ) {
        self.account = account
        self.resourceGroup = resourceGroup
        self.subscription = subscription
        self.container = container
        self.prefix = prefix
        self.keyVariable = keyVariable
    }
}

/// A state directory on an inventory host.
public struct SSHStateSpec: Sendable, Equatable {
    /// The inventory host's name (`lb-1`).
    public var host: String
    /// Its address and variables (how SSH reaches it: `ansible_port`, `ansible_user`, …).
    public var address: String
    public var vars: [String: String]
    /// The directory on the host; relative to the SSH user's home unless absolute.
    public var directory: String

    public init(host: String, address: String, vars: [String: String], directory: String) {
        self.host = host
        self.address = address
        self.vars = vars
        self.directory = directory
    }
}
