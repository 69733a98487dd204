from components.cluster.metallb_pools import AddressPool, MetalLBPools, MetalLBPoolsProps


def test_pools_and_l2_advertisement_match_golden(golden, find):
    objs = golden("metallb-pools", lambda app: MetalLBPools(app, MetalLBPoolsProps(pools=[
        AddressPool(name="public", addresses=["10.0.0.100-10.0.0.120"]),
        AddressPool(name="internal", addresses=["10.0.1.0/28"], auto_assign=False)])))
    assert find(objs, "IPAddressPool", "public")["spec"] == {"addresses": ["10.0.0.100-10.0.0.120"], "autoAssign": True}
    assert find(objs, "IPAddressPool", "internal")["spec"]["autoAssign"] is False
    assert find(objs, "L2Advertisement", "l2")["spec"] == {"ipAddressPools": ["public", "internal"]}
