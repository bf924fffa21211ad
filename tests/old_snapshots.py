"""Snapshots exactly as orderledger wrote them before they were read back typed: what a store
written by the old code holds (postpaid, showing 10, charged 0.25; a refill In progress)."""

OLD_ACCOUNT = (
    b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T08:49:00.105851+00:00"},'
    b'"topic":"orderledger.domain.account:Account","state":{"_created_on":{"_type_":'
    b'"datetime_iso","_data_":"2026-12-01T08:49:00.105703+00:00"},"_modified_on":{"_type_":'
    b'"datetime_iso","_data_":"2026-12-01T08:49:00.105813+00:00"},"name":"network",'
    b'"currency":"USD","billing":"postpaid","credit":{"_type_":"decimal_str","_data_":'
    b'"10.00000"},"deposits":{"_type_":"decimal_str","_data_":"0.00000"},"charges":{"_type_":'
    b'"decimal_str","_data_":"0.25000"},"refunds":{"_type_":"decimal_str","_data_":"0.00000"}}}'
)
OLD_REFILL = (
    b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T08:49:00.106321+00:00"},'
    b'"topic":"orderledger.domain.refill:Refill","state":{"_created_on":{"_type_":"datetime_iso",'
    b'"_data_":"2026-12-01T08:49:00.106246+00:00"},"_modified_on":{"_type_":"datetime_iso",'
    b'"_data_":"2026-12-01T08:49:00.106299+00:00"},"number":7,"order_number":3,"account_id":'
    b'{"_type_":"uuid_hex","_data_":"403f2107403d50f6a816a39ee9f7c361"},"status":"In progress",'
    b'"reason":"","claimed_by":null,"claim_expires_at":null}}'
)
