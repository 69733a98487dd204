"""The cluster-services layer: cert-manager, ClusterIssuers, MetalLB, NFS storage, the edge, network policy."""
