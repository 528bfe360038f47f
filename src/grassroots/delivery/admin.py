from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdmin

from .models import Expenditure, ServiceRecord

admin.site.register(ServiceRecord, ReadOnlyAdmin)
admin.site.register(Expenditure, ReadOnlyAdmin)
